/** Typed client of the oks layout booking API; errors classified by the shared HTTP helper. */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ProviderHttpClient, type ProviderEndpoint } from '../http';
import { FailureType } from '../../common/failure-types';
import { type ReleaseOutcome, released } from '../../common/release';
import {
  type BookLayoutRequest,
  DEAL_NOT_BOOKED,
  TaskAccepted,
  TaskStatusResponse,
  type UnbookRequest,
  readOksRefusal,
} from './contract';

const BASE = '/api/v1/service/projects/layouts';

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

  /**
   * Releases a deal, on positive evidence only: oks's empty 200, or its "the deal
   * is not booked" answer (released already). A 200 with any other body proves
   * nothing: the call fails retryably and the next attempt asks oks again.
   */
  async unbook(deal: UnbookRequest, logger?: Logger): Promise<ReleaseOutcome> {
    let answer: unknown;
    try {
      answer = await this.http.request({ method: 'POST', path: `${BASE}/unbook`, body: deal, schema: z.unknown() }, logger);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused && err.message === DEAL_NOT_BOOKED) {
        return released(`oks: ${DEAL_NOT_BOOKED} (released already)`);
      }
      throw err;
    }
    if (answer === undefined || answer === null) return released('oks answered unbook with an empty 200');
    if (readOksRefusal(200, answer) === DEAL_NOT_BOOKED) return released(`oks: ${DEAL_NOT_BOOKED} (released already)`);
    throw ApplicationFailure.retryable(
      `oks answered unbook of deal ${deal.shows_id} with 200 and a body it does not document (${JSON.stringify(answer).slice(0, 120)}); asking again until oks confirms`,
      FailureType.ProviderUnavailable,
    );
  }
}
