import { Command } from 'commander';
import { registerSensorCommands } from './sensors.ts';
import { registerRunCommands } from './run.ts';
import { registerExportCommand } from './export.ts';
import { registerAlertCliCommands } from './alerts.ts';
import { registerBenchCommand } from './bench.ts';
import { registerCertsCommand } from './certs.ts';
import { registerStaffCommands } from './staff.ts';

const program = new Command('civicstream')
  .description('civicstream — 開放城市感測資料管線 open city sensor pipeline')
  .showHelpAfterError();
registerRunCommands(program);
registerSensorCommands(program);
registerExportCommand(program);
registerAlertCliCommands(program);
registerBenchCommand(program);
registerCertsCommand(program);
registerStaffCommands(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`civicstream: ${err.message}\n`);
  process.exitCode = 1;
});
