import 'reflect-metadata';
import { createConsoleApp, loadConsoleConfig } from '@sluice/console';
import { runService } from '@sluice/observability';

// The web console (port 8100): the running apps' management APIs, topics, schemas, dead letters and
// replay in a browser. On SIGTERM the server closes and the periodic reads stop; exit 0.
runService({
  name: 'console',
  loadConfig: () => loadConsoleConfig(process.argv),
  start: async (config) => {
    const app = await createConsoleApp(config);
    return { close: () => app.close() };
  },
});
