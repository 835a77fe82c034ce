import {
  FieldsOnCorrectTypeRule,
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
  ProvidedRequiredArgumentsRule,
  ScalarLeafsRule,
  UniqueArgumentNamesRule,
  UniqueVariableNamesRule,
  ValuesOfCorrectTypeRule,
  VariablesAreInputTypesRule,
  VariablesInAllowedPositionRule,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { describeError, log } from '../../log';
import {
  costExtension,
  MAX_SINGLE_QUERY_COST,
  queryCost,
  requestedSize,
  returnedSize,
  type QueryCost,
  type ThrottleStatus,
} from './cost';
import type { GraphqlContext } from './context';

/**
 * One GraphQL request from text to answer, the way Shopify answers: parse, validate, price, run.
 * Syntax, validation and variable errors come back in `errors` with an `extensions.code` (the
 * graphql-ruby codes Shopify uses where one fits) and no `data`; every answer has `extensions.cost`.
 */

export interface GraphqlRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | null;
}

export interface GraphqlAnswer {
  data?: unknown;
  errors?: GraphQLFormattedError[];
  extensions: { cost: QueryCost };
}

/**
 * graphql-js validation rule → the error code Shopify's graphql-ruby reports for it. Keyed by the
 * rule itself, not its `name`: the bundle does not keep function names (wrangler.toml `keep_names`).
 */
const RULE_CODES = new Map<ValidationRule, string>([
  [FieldsOnCorrectTypeRule, 'undefinedField'],
  [KnownTypeNamesRule, 'undefinedType'],
  [KnownArgumentNamesRule, 'argumentNotAccepted'],
  [ProvidedRequiredArgumentsRule, 'missingRequiredArguments'],
  [ValuesOfCorrectTypeRule, 'argumentLiteralsIncompatible'],
  [NoUndefinedVariablesRule, 'variableNotDefined'],
  [NoUnusedVariablesRule, 'variableNotUsed'],
  [VariablesInAllowedPositionRule, 'variableMismatch'],
  [ScalarLeafsRule, 'selectionMismatch'],
  [KnownFragmentNamesRule, 'undefinedFragment'],
  [NoUnusedFragmentsRule, 'useAndDefineFragment'],
  [UniqueArgumentNamesRule, 'argumentNotUnique'],
  [KnownDirectivesRule, 'undefinedDirective'],
  [PossibleFragmentSpreadsRule, 'fragmentSpreadImpossible'],
  [NoFragmentCyclesRule, 'infiniteLoop'],
  [UniqueVariableNamesRule, 'variableNotUnique'],
  [VariablesAreInputTypesRule, 'variableRequiresValidType'],
  [OverlappingFieldsCanBeMergedRule, 'fieldConflict'],
]);
const DEFAULT_VALIDATION_CODE = 'validationError';

const withCode = (error: GraphQLError, code: string): GraphQLFormattedError => {
  const formatted = error.toJSON();
  return { ...formatted, extensions: { code, ...formatted.extensions } };
};

/** Validation errors, each tagged with the code of the rule that found it. */
function validationErrors(schema: GraphQLSchema, document: DocumentNode): GraphQLFormattedError[] {
  const errors: GraphQLFormattedError[] = [];
  for (const rule of specifiedRules as readonly ValidationRule[]) {
    const code = RULE_CODES.get(rule) ?? DEFAULT_VALIDATION_CODE;
    for (const error of validate(schema, document, [rule])) errors.push(withCode(error, code));
  }
  return errors;
}

const failed = (errors: GraphQLFormattedError[]): GraphqlAnswer => ({
  errors,
  extensions: { cost: costExtension(0, 0) },
});

/**
 * Bounds on a document, checked before graphql-js's recursive-descent parser sees it: deep nesting
 * would exhaust the stack (5,000 levels of `{a` do), and a flood of tokens only burns CPU. The
 * deepest legitimate document, an introspection query's `ofType` chain, nests about 10 levels.
 */
export const MAX_QUERY_NESTING = 50;
export const MAX_QUERY_TOKENS = 10_000;

/** How deeply `{`, `(` and `[` nest outside strings and comments. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end === -1 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      }
    } else if (c === '{' || c === '(' || c === '[') {
      max = Math.max(max, ++depth);
    } else if (c === '}' || c === ')' || c === ']') {
      depth--;
    }
  }
  return max;
}

/** Runs one request against a schema; never throws for anything the client sent. */
export async function runGraphql(
  schema: GraphQLSchema,
  request: GraphqlRequest,
  context: GraphqlContext,
): Promise<GraphqlAnswer> {
  try {
    return await run(schema, request, context);
  } catch (err) {
    // The nesting and token bounds keep the recursive parts of graphql-js within the stack; should a
    // document still exhaust it (a long chain of fragments), it is refused, not a 500.
    if (!(err instanceof RangeError)) throw err;
    log.warn('graphql document exhausted the stack', describeError(err));
    return failed([{ message: 'Query is too complex to run.', extensions: { code: 'MAX_COMPLEXITY_EXCEEDED' } }]);
  }
}

async function run(schema: GraphQLSchema, request: GraphqlRequest, context: GraphqlContext): Promise<GraphqlAnswer> {
  if (nestingDepth(request.query) > MAX_QUERY_NESTING) {
    return failed([
      { message: `Query is nested more than ${MAX_QUERY_NESTING} levels deep.`, extensions: { code: 'parseError' } },
    ]);
  }
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: MAX_QUERY_TOKENS });
  } catch (err) {
    if (err instanceof GraphQLError) return failed([withCode(err, 'parseError')]);
    throw err;
  }
  const invalid = validationErrors(schema, document);
  if (invalid.length > 0) return failed(invalid);

  const operation = getOperationAST(document, request.operationName ?? undefined);
  if (!operation) {
    const message = request.operationName
      ? `No operation named "${request.operationName}"`
      : 'An operation name is required when the document has several operations';
    return failed([{ message, extensions: { code: 'operationNotFound' } }]);
  }
  if (!schema.getRootType(operation.operation)) {
    // graphql-js 16 leaves this to execution; it is a property of the document, so it is reported
    // as a validation error (there are no subscriptions here).
    return failed([
      withCode(
        new GraphQLError(`Schema is not configured to execute ${operation.operation} operation.`, { nodes: operation }),
        DEFAULT_VALIDATION_CODE,
      ),
    ]);
  }
  const fragments = new Map<string, FragmentDefinitionNode>(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

  // Priced on the variables as execution will see them: coerced, with the operation's defaults
  // applied, so `query($n: Int = 250)` sent without `n` is priced as the 250 nodes it returns.
  // Coercion errors are answered as execution would, before anything is spent.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables);
  if (coerced.errors) return failed(coerced.errors.map((e) => withCode(e, 'INVALID_VARIABLE')));
  const variables = coerced.coerced;
  let requested: number;
  try {
    requested = queryCost(schema, operation, fragments, variables, requestedSize);
  } catch (err) {
    // An argument value execution would refuse too (graphql-js throws GraphQLErrors for those).
    if (err instanceof GraphQLError) return failed([withCode(err, 'argumentLiteralsIncompatible')]);
    throw err;
  }
  if (requested > MAX_SINGLE_QUERY_COST) {
    return failed([
      {
        message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_SINGLE_QUERY_COST}).`,
        extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_SINGLE_QUERY_COST },
      },
    ]);
  }

  let bucket: ThrottleStatus | undefined;
  if (context.bucket) {
    const spend = await context.bucket.spend(requested);
    if (!spend.allowed) {
      return {
        errors: [
          {
            message: 'Throttled',
            extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
          },
        ],
        extensions: { cost: costExtension(requested, null, spend.throttleStatus) },
      };
    }
    bucket = spend.throttleStatus;
  }

  const result = await execute({
    schema,
    document,
    operationName: request.operationName,
    variableValues: request.variables,
    contextValue: context,
  });
  if (!('data' in result) || result.data === undefined) {
    // Only variable coercion stops execution before it starts.
    return failed((result.errors ?? []).map((e) => withCode(e, 'INVALID_VARIABLE')));
  }
  const actual = queryCost(schema, operation, fragments, variables, returnedSize(context.returned));
  if (context.bucket && requested > actual) bucket = await context.bucket.refund(requested - actual);
  const answer: GraphqlAnswer = { data: result.data, extensions: { cost: costExtension(requested, actual, bucket) } };
  if (result.errors && result.errors.length > 0) answer.errors = result.errors.map(safeFieldError);
  return answer;
}

/**
 * A field error as the client sees it. Errors the resolvers raise on purpose are GraphQLErrors and
 * go out as they are; anything else (a D1 failure) is logged and answered generically, as Shopify
 * does, so no internal detail reaches the wire.
 */
function safeFieldError(error: GraphQLError): GraphQLFormattedError {
  const cause = error.originalError;
  if (cause === undefined || cause === null || cause instanceof GraphQLError) return error.toJSON();
  log.error('graphql field failed', { path: error.path?.join('.'), ...describeError(cause) });
  return {
    message: 'Internal error. Looks like something went wrong on our end.',
    locations: error.locations,
    path: error.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
