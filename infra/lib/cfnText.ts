/**
 * A CloudFormation value as one readable string, the way cdk-nag names findings:
 * `{ "Fn::Join": ["", ["arn:", { "Ref": "AWS::Partition" }, ":s3:::", { "Ref": "Bucket" }, "/telemetry/*"]] }`
 * becomes `arn:<AWS::Partition>:s3:::<Bucket>/telemetry/*`.
 */
export function cfnText(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) return (join[1] as unknown[]).map(cfnText).join(String(join[0]));
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${cfnText(getAtt[0])}.${cfnText(getAtt[1])}>`;
    if ('Ref' in o) return `<${cfnText(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
