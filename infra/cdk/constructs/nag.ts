import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A value as cdk-nag names it in finding ids (`AwsSolutions-IAM5[Resource::<this>]`): resolved in `scope`'s stack,
 * with `Ref`s as `<Name>`, `Fn::GetAtt`s as `<Name.Attr>` and `Fn::Join`s joined. Resolving, rather than writing the
 * text by hand, keeps acknowledgments matching whether the stack's account, region and partition are known or not.
 */
export function nagName(scope: IConstruct, value: unknown): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (node && typeof node === 'object') {
      const v = node as Record<string, unknown>;
      if ('Ref' in v) return `<${visit(v.Ref)}>`;
      if ('Fn::GetAtt' in v) {
        const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
        return `<${visit(resource)}.${visit(attribute)}>`;
      }
      if ('Fn::Join' in v) {
        const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
        return items.map(visit).join(delimiter);
      }
      if ('Fn::Sub' in v) return visit(v['Fn::Sub']);
    }
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}
