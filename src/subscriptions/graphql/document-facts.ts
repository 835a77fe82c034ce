import { Kind, print, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * What the validation-message rewrites (messages.ts) need to know about a document beyond an error's
 * own text: which argument or variable definition a position falls in, and an argument's value.
 */

/** An argument in the document: where it is, whom it belongs to, and its declared type. */
export interface ArgumentSite {
  start: number;
  end: number;
  name: string;
  parentKind: 'Field' | 'Directive';
  parentName: string;
  type: string | null;
}

/** Context a rewrite may need, computed on first use (most documents have no errors). */
export class DocumentFacts {
  private argumentSites: ArgumentSite[] | null = null;

  constructor(
    private readonly schema: GraphQLSchema,
    readonly document: DocumentNode,
  ) {}

  /** The variable whose definition's source range holds this offset, if any. */
  variableAt(offset: number): string | null {
    for (const definition of this.document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      for (const variable of definition.variableDefinitions ?? []) {
        if (variable.loc && variable.loc.start <= offset && offset < variable.loc.end)
          return variable.variable.name.value;
      }
    }
    return null;
  }

  /** The innermost argument whose source range holds this offset. */
  argumentAt(offset: number): ArgumentSite | null {
    let found: ArgumentSite | null = null;
    for (const site of this.arguments()) {
      if (site.start <= offset && offset < site.end && (found === null || site.start >= found.start)) found = site;
    }
    return found;
  }

  private arguments(): ArgumentSite[] {
    if (this.argumentSites !== null) return this.argumentSites;
    const sites: ArgumentSite[] = [];
    const typeInfo = new TypeInfo(this.schema);
    const parents: { kind: 'Field' | 'Directive'; name: string }[] = [];
    visit(
      this.document,
      visitWithTypeInfo(typeInfo, {
        Field: {
          enter: (node) => void parents.push({ kind: 'Field', name: node.name.value }),
          leave: () => void parents.pop(),
        },
        Directive: {
          enter: (node) => void parents.push({ kind: 'Directive', name: node.name.value }),
          leave: () => void parents.pop(),
        },
        Argument: (node) => {
          const parent = parents[parents.length - 1];
          if (!node.loc || !parent) return;
          sites.push({
            start: node.loc.start,
            end: node.loc.end,
            name: node.name.value,
            parentKind: parent.kind,
            parentName: parent.name,
            type: typeInfo.getArgument()?.type.toString() ?? null,
          });
        },
      }),
    );
    this.argumentSites = sites;
    return sites;
  }
}

/** The argument's value as written (`ORDERS_EXPLODE`, `"x"`), or null when it cannot be found. */
export function findArgumentValue(document: DocumentNode, site: ArgumentSite): string | null {
  let text: string | null = null;
  visit(document, {
    Argument: (node) => {
      if (node.loc?.start === site.start && node.loc.end === site.end) text = print(node.value);
    },
  });
  return text;
}
