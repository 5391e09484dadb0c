import { startNode } from '../helpers/node-process.ts';
import { describeDelivery } from './delivery-suite.ts';

describeDelivery('memory bus, one node', async () => {
  const node = await startNode();
  return { nodes: [node], stop: () => node.stop() };
});
