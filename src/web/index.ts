import type { FastifyInstance } from 'fastify';
import type { Services } from '../actions/context.ts';
import { portal } from './plugin.ts';

/** The portal's route plugins, registered after the API by buildApp. */
export const webPlugins: Array<(app: FastifyInstance, services: Services) => Promise<void>> = [portal];
