/** Typed client of the oks layout booking API; errors classified by the shared HTTP helper. */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ProviderHttpClient, type ProviderEndpoint } from '../http';
import { FailureType } from '../../workflows/failure-types';
import {
  type BookLayoutRequest,
  DEAL_NOT_BOOKED,
  TaskAccepted,
  TaskStatusResponse,
  type UnbookRequest,
  readOksRefusal,
} from './contract';

const BASE = '/api/v1/service/projects/layouts';

export type UnbookOutcome = 'released' | 'already_released';

export class OksClient {
  private readonly http: ProviderHttpClient;

  constructor(endpoint: ProviderEndpoint, logger: Logger) {
    this.http = new ProviderHttpClient(endpoint, logger, readOksRefusal);
  }

  bookLayout(request: BookLayoutRequest, logger?: Logger): Promise<TaskAccepted> {
    return this.http.request({ method: 'POST', path: `${BASE}/book`, body: request, schema: TaskAccepted }, logger);
  }

  taskStatus(taskId: string, logger?: Logger): Promise<TaskStatusResponse> {
    return this.http.request(
      { method: 'GET', path: `${BASE}/book/status/${encodeURIComponent(taskId)}`, schema: TaskStatusResponse },
      logger,
    );
  }

  /** A deal that is no longer booked counts as released: the release already happened. */
  async unbook(deal: UnbookRequest, logger?: Logger): Promise<UnbookOutcome> {
    try {
      await this.http.request({ method: 'POST', path: `${BASE}/unbook`, body: deal, schema: z.unknown() }, logger);
      return 'released';
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused && err.message === DEAL_NOT_BOOKED) {
        return 'already_released';
      }
      throw err;
    }
  }
}
