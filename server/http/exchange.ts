// What every route handler shares, in one module that the route modules and the app import (and that
// imports none of them): the principal IAP authenticated, input parsed with a schema of server/api, and
// replies checked against one.
import type { Response } from 'express';
import type { z } from 'zod';
import { AppError, invalidInput } from '../errors';
import { describeZodError } from './errors';
import type { IapPrincipal } from './iap';

/** Where the authentication middleware leaves the principal for the handlers. */
export function setPrincipal(res: Response, principal: IapPrincipal): void {
  res.locals.user = principal;
}

export function principalOf(res: Response): IapPrincipal {
  return res.locals.user as IapPrincipal;
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(describeZodError(result.error, where));
  return result.data;
}

/** Responses are checked too: a shape the SPA does not expect is our bug, not the user's. */
export function reply<T extends z.ZodType>(res: Response, status: number, schema: T, body: z.infer<T>): void {
  const result = schema.safeParse(body);
  if (!result.success) throw new AppError(500, 'INTERNAL', `The service produced an invalid response (${describeZodError(result.error, 'response')}).`);
  res.status(status).json(result.data);
}
