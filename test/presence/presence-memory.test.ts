import { startNode } from '../helpers/node-process.ts';
import { describePresence, PRESENCE_ENV } from './presence-suite.ts';

describePresence('memory store, one node', async () => {
  const node = await startNode({ ...PRESENCE_ENV });
  return { nodes: [node], stop: () => node.stop() };
});
