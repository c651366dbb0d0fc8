/**
 * `withErrorHandling(handler)`: the one place an HTTP function turns a thrown error into a response.
 * A `RotationError` becomes its DESIGN.md status and body; anything else a generic 500, logged through
 * `describeError` only (status, code, message — SDK errors carry request headers with keys).
 */
import type { HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import { describeError, isRotationError } from '../../rotation/errors.js';
import type { HttpFunctionHandler } from '../definition.js';
import { internalErrorResponse, rotationErrorResponse } from './errors.js';

export function withErrorHandling(handler: HttpFunctionHandler): HttpFunctionHandler {
  return async (
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit | HttpResponse> => {
    try {
      return await handler(request, context);
    } catch (error) {
      if (isRotationError(error)) {
        const response = rotationErrorResponse(error);
        if (response.status >= 500) context.error('request failed', describeError(error));
        else context.warn('request rejected', { code: error.code, status: response.status });
        return response;
      }
      context.error('request failed unexpectedly', describeError(error));
      return internalErrorResponse();
    }
  };
}
