import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isAbstractType,
  isLeafType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Shopify's calculated query cost (shopify.dev, "GraphQL Admin API rate limits", cost calculation):
 * a scalar or enum field costs 0, an object 1, a union or interface the maximum of its possible
 * selections, a connection 2 plus its page size times the cost of one node, and a mutation 10.
 * The requested cost sizes connections by `first`/`last`; the actual cost by the nodes returned.
 */

/** Shopify's figures for a mutation and for a connection's own overhead. */
export const MUTATION_COST = 10;
export const CONNECTION_BASE_COST = 2;
/** Shopify refuses a single query whose requested cost is above this. */
export const MAX_SINGLE_QUERY_COST = 1000;

/** Shopify's standard-plan bucket (docs/contracts.md, "Call limits"): 2000 points, 100 restored a second. */
export const GRAPHQL_BUCKET_POINTS = 2000;
export const GRAPHQL_RESTORE_POINTS_PER_SECOND = 100;

/** How many nodes a connection field stands for: requested (its arguments) or returned. */
export type ConnectionSize = (field: FieldNode, args: Record<string, unknown>) => number;

/** Sizes a connection by `first` or `last` (what the query asks for). */
export const requestedSize: ConnectionSize = (_field, args) => {
  const size = typeof args['first'] === 'number' ? args['first'] : args['last'];
  return typeof size === 'number' && size > 0 ? size : 0;
};

/** Sizes a connection by the nodes its resolver returned (recorded per field node). */
export const returnedSize =
  (returned: ReadonlyMap<FieldNode, number>): ConnectionSize =>
  (field) =>
    returned.get(field) ?? 0;

interface Walk {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  size: ConnectionSize;
}

const isConnection = (type: GraphQLCompositeType) => type.name.endsWith('Connection');

/** The cost of one operation of a validated document. */
export function queryCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  size: ConnectionSize,
): number {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk: Walk = { schema, fragments, variables, size };
  if (operation.operation === 'mutation') {
    // Each mutation field costs a flat MUTATION_COST whatever its payload selects.
    return (
      fieldsOf(walk, operation.selectionSet, root).filter(({ node }) => !node.name.value.startsWith('__')).length *
      MUTATION_COST
    );
  }
  return selectionCost(walk, operation.selectionSet, root);
}

/** Fields selected on one concrete type, with inline fragments and spreads that apply to it. */
function fieldsOf(
  walk: Walk,
  selectionSet: SelectionSetNode,
  type: GraphQLObjectType,
): { node: FieldNode; def: GraphQLField<unknown, unknown> | undefined }[] {
  const out: { node: FieldNode; def: GraphQLField<unknown, unknown> | undefined }[] = [];
  const applies = (condition: string | undefined) => {
    if (condition === undefined || condition === type.name) return true;
    const abstract = walk.schema.getType(condition);
    return abstract !== undefined && isAbstractType(abstract) && walk.schema.isSubType(abstract, type);
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      out.push({ node: selection, def: type.getFields()[selection.name.value] });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (applies(selection.typeCondition?.name.value)) out.push(...fieldsOf(walk, selection.selectionSet, type));
    } else {
      const fragment = walk.fragments.get(selection.name.value);
      if (fragment && applies(fragment.typeCondition.name.value))
        out.push(...fieldsOf(walk, fragment.selectionSet, type));
    }
  }
  return out;
}

/** The cost of a selection on a composite type: the maximum over its possible object types. */
function selectionCost(walk: Walk, selectionSet: SelectionSetNode, type: GraphQLCompositeType): number {
  const objects = isObjectType(type) ? [type] : walk.schema.getPossibleTypes(type);
  let max = 0;
  for (const object of objects) {
    let sum = 0;
    for (const { node, def } of fieldsOf(walk, selectionSet, object)) sum += fieldCost(walk, node, def);
    max = Math.max(max, sum);
  }
  return max;
}

function fieldCost(walk: Walk, node: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number {
  if (def === undefined || node.name.value.startsWith('__')) return 0; // introspection is free
  const named = getNamedType(def.type);
  if (isLeafType(named) || !node.selectionSet) return 0;
  if (isConnection(named)) {
    const args = getArgumentValues(def, node, walk.variables);
    return CONNECTION_BASE_COST + walk.size(node, args) * nodeCost(walk, node.selectionSet, named as GraphQLObjectType);
  }
  return 1 + selectionCost(walk, node.selectionSet, named as GraphQLCompositeType);
}

/** The cost of one node of a connection: what `nodes` or `edges { node }` select, whichever is more. */
function nodeCost(walk: Walk, selectionSet: SelectionSetNode, connection: GraphQLObjectType): number {
  let max = 0;
  for (const { node, def } of fieldsOf(walk, selectionSet, connection)) {
    if (!def || !node.selectionSet) continue;
    const named = getNamedType(def.type);
    if (node.name.value === 'nodes') {
      max = Math.max(max, 1 + selectionCost(walk, node.selectionSet, named as GraphQLCompositeType));
    } else if (node.name.value === 'edges' && isObjectType(named)) {
      for (const edgeField of fieldsOf(walk, node.selectionSet, named)) {
        if (edgeField.node.name.value !== 'node' || !edgeField.def || !edgeField.node.selectionSet) continue;
        const nodeType = getNamedType(getNullableType(edgeField.def.type)) as GraphQLCompositeType;
        max = Math.max(max, 1 + selectionCost(walk, edgeField.node.selectionSet, nodeType));
      }
    }
  }
  return max;
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost: number;
  /** Null when the query did not run (THROTTLED). */
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

/**
 * `extensions.cost` for a request: the bucket as the app's call-limit state left it, or, when no
 * bucket was consulted (a request refused before pricing), a full bucket minus the actual cost.
 */
export function costExtension(requested: number, actual: number | null, bucket?: ThrottleStatus): QueryCost {
  return {
    requestedQueryCost: requested,
    actualQueryCost: actual,
    throttleStatus: bucket ?? {
      maximumAvailable: GRAPHQL_BUCKET_POINTS,
      currentlyAvailable: GRAPHQL_BUCKET_POINTS - (actual ?? 0),
      restoreRate: GRAPHQL_RESTORE_POINTS_PER_SECOND,
    },
  };
}
