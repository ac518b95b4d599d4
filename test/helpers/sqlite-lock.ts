/**
 * Another program holding a SQLite file locked, as a database browser with it open in a write
 * transaction does: a process of its own, so the lock is a real one between processes.
 */
import { spawn } from 'node:child_process';

export interface HeldLock {
  /** Ends the transaction and the process. */
  release(): Promise<void>;
}

export async function lockDatabase(file: string): Promise<HeldLock> {
  const locker = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('node:sqlite').DatabaseSync)(process.argv[1]);
       db.exec('BEGIN IMMEDIATE'); console.log('locked');
       process.stdin.on('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });`,
      file,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => locker.once('exit', resolve));
  await Promise.race([
    new Promise((resolve) => locker.stdout!.once('data', resolve)),
    exited.then(() => {
      throw new Error(`could not lock ${file}`);
    }),
  ]);
  return {
    async release() {
      if (locker.exitCode === null) locker.stdin!.end('release\n');
      await exited;
    },
  };
}
