import { startNode } from '../helpers/node-process.ts';
import { describeDelivery, HISTORY_LIMIT } from './delivery-suite.ts';

describeDelivery('memory bus, one node', async () => {
  const node = await startNode({ HISTORY_MAX_PER_USER: String(HISTORY_LIMIT) });
  return { nodes: [node], stop: () => node.stop() };
});
