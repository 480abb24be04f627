// Child processes of a benchmark: each measured run goes in a process of its own, so that its peak
// RSS (maxRSS) is the run's, and hands its figures back over IPC.

import { fork } from 'node:child_process';

/**
 * Forks `script` with `args` and `env` (stdout and stderr shared with this process) and resolves with
 * the last message it sent once it exits 0; rejects when it exits otherwise or sent nothing. The child
 * is in `children` while it runs (see `killChildren`).
 */
export const forkForResult = (script, args, env, children) =>
  new Promise((done, fail) => {
    const child = fork(script, args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    let message;
    child.on('message', (m) => {
      message = m;
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0 && message) done(message);
      else
        fail(new Error(`the sync child exited with ${code}${message ? '' : ' without a result'}`));
    });
  });

/** SIGKILL for every child still running (for the cleanup after an error or the time limit). */
export function killChildren(children) {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }
}

/** In the child: sends `result` to the parent, then exits 0 once it is sent. */
export const sendResult = (result) => process.send(result, () => process.exit(0));
