import {
  FieldsOnCorrectTypeRule,
  Kind,
  KnownArgumentNamesRule,
  KnownDirectivesRule,
  KnownFragmentNamesRule,
  KnownTypeNamesRule,
  NoFragmentCyclesRule,
  NoUndefinedVariablesRule,
  NoUnusedFragmentsRule,
  NoUnusedVariablesRule,
  OverlappingFieldsCanBeMergedRule,
  PossibleFragmentSpreadsRule,
  ScalarLeafsRule,
  UniqueArgumentNamesRule,
  UniqueVariableNamesRule,
  ValuesOfCorrectTypeRule,
  VariablesAreInputTypesRule,
  VariablesInAllowedPositionRule,
  type ASTNode,
  type DocumentNode,
  type GraphQLError,
  type ValidationRule,
} from 'graphql';
import { findArgumentValue, type DocumentFacts } from './document-facts';

/**
 * graphql-js's validation errors in the wording graphql-ruby (and so Shopify) uses, with the
 * `extensions` graphql-ruby adds to each. graphql-js 16's messages are matched by pattern; one that
 * does not match keeps graphql-js's own text (with the rule's code), so nothing is lost.
 */

export interface ShopifyValidationError {
  message: string;
  extensions: Record<string, unknown>;
}

const firstNode = (error: GraphQLError): ASTNode | undefined => error.nodes?.[0];
const operationLabel = (name: string | undefined, document: DocumentNode): string => {
  if (name !== undefined) return name;
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return `anonymous ${operation && 'operation' in operation ? operation.operation : 'query'}`;
};
/** `String!` / `[ID!]` → the named type inside. */
const namedType = (typeText: string): string => typeText.replace(/[[\]!]/g, '');

type Rewrite = (error: GraphQLError, facts: DocumentFacts) => ShopifyValidationError | null;

/** One error per rule that has graphql-ruby wording, keyed by the graphql-js rule. */
const REWRITES = new Map<ValidationRule, Rewrite>([
  [
    FieldsOnCorrectTypeRule,
    (error) => {
      const m = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(error.message);
      if (!m) return null;
      const [, fieldName, typeName] = m;
      return {
        message: `Field '${fieldName}' doesn't exist on type '${typeName}'`,
        extensions: { code: 'undefinedField', typeName, fieldName },
      };
    },
  ],
  [
    ValuesOfCorrectTypeRule,
    (error, facts) => {
      const node = firstNode(error);
      const site = node?.loc ? facts.argumentAt(node.loc.start) : null;
      if (!site || site.type === null) return null;
      const argument = findArgumentValue(facts.document, site);
      const shown = argument === null ? '' : ` (${argument})`;
      return {
        message: `Argument '${site.name}' on ${site.parentKind} '${site.parentName}' has an invalid value${shown}. Expected type '${site.type}'.`,
        extensions: { code: 'argumentLiteralsIncompatible', typeName: site.parentKind, argumentName: site.name },
      };
    },
  ],
  [
    KnownArgumentNamesRule,
    (error) => {
      const field = /^Unknown argument "([^"]+)" on field "[^".]+\.([^"]+)"\./.exec(error.message);
      const directive = /^Unknown argument "([^"]+)" on directive "@([^"]+)"\./.exec(error.message);
      const m = field ?? directive;
      if (!m) return null;
      const [, argumentName, name] = m;
      const typeName = field ? 'Field' : 'Directive';
      return {
        message: `${typeName} '${name}' doesn't accept argument '${argumentName}'`,
        extensions: { code: 'argumentNotAccepted', name, typeName, argumentName },
      };
    },
  ],
  [
    NoUndefinedVariablesRule,
    (error, facts) => {
      const m = /^Variable "\$([^"]+)" is not defined(?: by operation "([^"]+)")?\./.exec(error.message);
      if (!m) return null;
      const variableName = m[1]!;
      return {
        message: `Variable $${variableName} is used by ${operationLabel(m[2], facts.document)} but not declared`,
        extensions: { code: 'variableNotDefined', variableName },
      };
    },
  ],
  [
    NoUnusedVariablesRule,
    (error, facts) => {
      const m = /^Variable "\$([^"]+)" is never used(?: in operation "([^"]+)")?\./.exec(error.message);
      if (!m) return null;
      const variableName = m[1]!;
      return {
        message: `Variable $${variableName} is declared by ${operationLabel(m[2], facts.document)} but not used`,
        extensions: { code: 'variableNotUsed', variableName },
      };
    },
  ],
  [
    ScalarLeafsRule,
    (error) => {
      const leaf = /^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields\./.exec(
        error.message,
      );
      // graphql-js points at the selection set.
      const node = firstNode(error);
      if (leaf) {
        const selections = (node?.kind === Kind.SELECTION_SET ? node.selections : []).map((s) =>
          s.kind === Kind.INLINE_FRAGMENT
            ? `"... on ${s.typeCondition?.name.value ?? ''} { ... }"`
            : `"${s.name.value}"`,
        );
        const typeName = namedType(leaf[2]!);
        return {
          message: `Selections can't be made on scalars (field '${leaf[1]}' returns ${typeName} but has selections [${selections.join(', ')}])`,
          extensions: { code: 'selectionMismatch', nodeName: `field '${leaf[1]}'`, typeName },
        };
      }
      const branch = /^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields\./.exec(error.message);
      if (!branch) return null;
      const typeName = namedType(branch[2]!);
      return {
        message: `Field must have selections (field '${branch[1]}' returns ${typeName} but has no selections. Did you mean '${branch[1]} { ... }'?)`,
        extensions: { code: 'selectionMismatch', nodeName: `field '${branch[1]}'`, typeName },
      };
    },
  ],
  [
    KnownFragmentNamesRule,
    (error) => {
      const m = /^Unknown fragment "([^"]+)"\./.exec(error.message);
      return m
        ? {
            message: `Fragment ${m[1]} was used, but not defined`,
            extensions: { code: 'undefinedFragment', fragmentName: m[1] },
          }
        : null;
    },
  ],
  [
    NoUnusedFragmentsRule,
    (error) => {
      const m = /^Fragment "([^"]+)" is never used\./.exec(error.message);
      return m
        ? {
            message: `Fragment ${m[1]} was defined, but not used`,
            extensions: { code: 'useAndDefineFragment', fragmentName: m[1] },
          }
        : null;
    },
  ],
  [
    UniqueArgumentNamesRule,
    (error) => {
      const m = /^There can be only one argument named "([^"]+)"\./.exec(error.message);
      return m
        ? {
            message: `There can be only one argument named "${m[1]}"`,
            extensions: { code: 'argumentNotUnique', name: m[1] },
          }
        : null;
    },
  ],
  [
    UniqueVariableNamesRule,
    (error) => {
      const m = /^There can be only one variable named "\$([^"]+)"\./.exec(error.message);
      return m
        ? {
            message: `There can only be one variable named "${m[1]}"`,
            extensions: { code: 'variableNotUnique', variableName: m[1] },
          }
        : null;
    },
  ],
  [
    KnownDirectivesRule,
    (error) => {
      const m = /^Unknown directive "@([^"]+)"\./.exec(error.message);
      return m
        ? {
            message: `Directive @${m[1]} is not defined`,
            extensions: { code: 'undefinedDirective', directiveName: m[1] },
          }
        : null;
    },
  ],
  [
    NoFragmentCyclesRule,
    (error) => {
      const m = /^Cannot spread fragment "([^"]+)" within itself/.exec(error.message);
      return m
        ? {
            message: `Fragment ${m[1]} contains an infinite loop`,
            extensions: { code: 'infiniteLoop', fragmentName: m[1] },
          }
        : null;
    },
  ],
  [
    VariablesInAllowedPositionRule,
    (error, facts) => {
      const m = /^Variable "\$([^"]+)" of type "([^"]+)" used in position expecting type "([^"]+)"\./.exec(
        error.message,
      );
      const usage = error.nodes?.[1];
      const site = usage?.loc ? facts.argumentAt(usage.loc.start) : null;
      if (!m || !site) return null;
      const [, variableName, variableType, argumentType] = m as unknown as [string, string, string, string];
      const kind = namedType(variableType) === namedType(argumentType) ? 'Nullability mismatch' : 'Type mismatch';
      return {
        message: `${kind} on variable $${variableName} and argument ${site.name} (${variableType} / ${argumentType})`,
        extensions: {
          code: 'variableMismatch',
          variableName,
          typeName: variableType,
          argumentName: site.name,
          errorMessage: kind,
        },
      };
    },
  ],
  [
    KnownTypeNamesRule,
    (error, facts) => {
      const m = /^Unknown type "([^"]+)"\./.exec(error.message);
      const node = firstNode(error);
      if (!m || !node?.loc) return null;
      const typeName = m[1]!;
      const variableName = facts.variableAt(node.loc.start);
      if (variableName !== null) {
        return {
          message: `${typeName} isn't a defined input type (on $${variableName})`,
          extensions: { code: 'variableRequiresValidType', typeName, variableName },
        };
      }
      return {
        message: `No such type ${typeName}, so it can't be a fragment condition`,
        extensions: { code: 'undefinedType', typeName },
      };
    },
  ],
  [
    VariablesAreInputTypesRule,
    (error) => {
      const m = /^Variable "\$([^"]+)" cannot be non-input type "([^"]+)"\./.exec(error.message);
      if (!m) return null;
      const [, variableName, typeText] = m as unknown as [string, string, string];
      const typeName = namedType(typeText);
      return {
        message: `${typeName} isn't a valid input type (on $${variableName})`,
        extensions: { code: 'variableRequiresValidType', typeName, variableName },
      };
    },
  ],
  [
    OverlappingFieldsCanBeMergedRule,
    (error) => {
      const m = /^Fields "([^"]+)" conflict because "([^"]+)" and "([^"]+)" are different fields\./.exec(error.message);
      if (!m) return null;
      const [, fieldName, a, b] = m;
      return {
        message: `Field '${fieldName}' has a field conflict: ${a} or ${b}?`,
        extensions: { code: 'fieldConflict', fieldName, conflicts: `${a} or ${b}` },
      };
    },
  ],
  [
    PossibleFragmentSpreadsRule,
    (error) => {
      const m =
        /^Fragment (?:"([^"]+)" )?cannot be spread here as objects of type "([^"]+)" can never be of type "([^"]+)"\./.exec(
          error.message,
        );
      if (!m) return null;
      const [, fragmentName, parentName, typeName] = m;
      return {
        message: `Fragment ${fragmentName ?? 'on ' + typeName} on ${typeName} can't be spread inside ${parentName}`,
        extensions: { code: 'cannotSpreadFragment', typeName, fragmentName: fragmentName ?? 'unknown', parentName },
      };
    },
  ],
]);

/** graphql-ruby's wording for one error of `rule`, or null to keep graphql-js's. */
export function shopifyWording(
  rule: ValidationRule,
  error: GraphQLError,
  facts: DocumentFacts,
): ShopifyValidationError | null {
  return REWRITES.get(rule)?.(error, facts) ?? null;
}

/** Rules whose several errors on one node graphql-ruby reports as one (missing arguments). */
export function groupedRequiredArguments(
  errors: readonly GraphQLError[],
): { first: GraphQLError; shopify: ShopifyValidationError }[] | null {
  const byNode = new Map<ASTNode, { first: GraphQLError; kind: string; name: string; missing: string[] }>();
  for (const error of errors) {
    const field = /^Field "([^"]+)" argument "([^"]+)" of type/.exec(error.message);
    const directive = /^Directive "@([^"]+)" argument "([^"]+)" of type/.exec(error.message);
    const m = field ?? directive;
    const node = firstNode(error);
    if (!m || !node) return null;
    const entry = byNode.get(node) ?? { first: error, kind: field ? 'Field' : 'Directive', name: m[1]!, missing: [] };
    entry.missing.push(m[2]!);
    byNode.set(node, entry);
  }
  return [...byNode.values()].map(({ first, kind, name, missing }) => ({
    first,
    shopify: {
      message: `${kind} '${name}' is missing required arguments: ${missing.join(', ')}`,
      extensions: { code: 'missingRequiredArguments', className: kind, name, arguments: missing.join(', ') },
    },
  }));
}
