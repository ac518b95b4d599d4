/** The one error type for config problems: every issue with its file position and JSON path. */
import type { ConfigIssue } from '../../../preload/contract/index.ts';
import { GatewayError } from '../protocol/errors.ts';

export type { ConfigIssue };

/** `FILE:LINE:COL: PATH: MESSAGE`, the form editors and terminals turn into links. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ConfigError extends GatewayError {
  readonly issues: ConfigIssue[];

  constructor(
    code: 'config_invalid' | 'config_unreadable',
    message: string,
    issues: ConfigIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** The message lists every issue, one per line. */
  static invalid(issues: ConfigIssue[]): ConfigError {
    return new ConfigError('config_invalid', issues.map(formatIssue).join('\n'), issues);
  }
}
