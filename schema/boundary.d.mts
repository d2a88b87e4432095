// Types of schema/boundary.mjs (the data itself is in that file).
export interface IssueCodeSpec {
  code: number;
  name: string;
  note: string;
  message: string;
}
export type FieldSpec = string | { str: string };
export interface RecordSpec {
  name: string;
  prefix: string;
  doc: string;
  fields: FieldSpec[];
  followedBy?: string;
}
export interface ExportSpec {
  name: string;
  kind?: 'memory' | 'global';
  params?: [string, string][];
  result?: string;
  doc?: string;
}
export const issueCodes: IssueCodeSpec[];
export const hostIssueCodes: { name: string; message: string }[];
export const severities: Record<string, number>;
export const LC_REQ_DYLD: number;
export const commands: ([string, number] | [string, number, boolean])[];
export const magics: Record<string, number>;
export const records: RecordSpec[];
export const blobKinds: string[];
export const wasmExports: ExportSpec[];
