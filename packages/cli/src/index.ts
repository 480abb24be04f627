import { Command } from 'commander';
import { registerActionsCommands } from './actions-commands';
import { registerAdminCommands } from './admin-commands';
import { registerDbCommands } from './db-commands';
import { registerJobsCommands } from './jobs-commands';
import { registerLifecycleCommands } from './lifecycle-commands';
import { createOutput } from './output';
import { registerSecretsCommands } from './secrets-commands';
import { registerStartCommand } from './start-command';
import { registerSyncCommands } from './sync-commands';

/** Builds the `helios` command line program. */
export function createProgram(): Command {
  const program = new Command('helios')
    .description('Helios: self-hosted Google Workspace + Microsoft 365 administration portal')
    .version('0.1.0')
    .showHelpAfterError();
  registerDbCommands(program, createOutput);
  registerStartCommand(program, createOutput);
  registerSecretsCommands(program, createOutput);
  registerAdminCommands(program, createOutput);
  registerSyncCommands(program, createOutput);
  registerJobsCommands(program, createOutput);
  registerActionsCommands(program, createOutput);
  registerLifecycleCommands(program, createOutput);
  return program;
}
