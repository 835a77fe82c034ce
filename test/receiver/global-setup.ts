import type { TestProject } from 'vitest/node';
import { startReceiver } from './server.js';

/** Starts the delivery receiver for the workers tests; they read its port with inject('receiverPort'). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { server, port } = await startReceiver();
  project.provide('receiverPort', port);
  return () => new Promise((resolve) => server.close(() => resolve()));
}
