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
  /** The watcher's key of the file as it failed (its text's hash, or why it could not be read). */
  readonly sourceKey?: string;

  constructor(
    code: 'config_invalid' | 'config_unreadable',
    message: string,
    issues: ConfigIssue[] = [],
    options?: { cause?: unknown; sourceKey?: string },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.issues = issues;
    if (options?.sourceKey !== undefined) this.sourceKey = options.sourceKey;
  }

  /** The same error, knowing which file content it is about. */
  about(sourceKey: string): ConfigError {
    return new ConfigError(this.code as 'config_invalid' | 'config_unreadable', this.message, this.issues, {
      cause: this.cause,
      sourceKey,
    });
  }

  /** The message lists every issue, one per line. */
  static invalid(issues: ConfigIssue[]): ConfigError {
    return new ConfigError('config_invalid', issues.map(formatIssue).join('\n'), issues);
  }
}
