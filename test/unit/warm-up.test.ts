import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { WarmUp } from '../../server/warm-up';

const turn = () => new Promise((r) => setImmediate(r));
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await turn();
};

function request(path: string): { req: Request; res: Response & EventEmitter; next: jest.Mock } {
  return { req: { path } as Request, res: new EventEmitter() as Response & EventEmitter, next: jest.fn() as jest.Mock & NextFunction };
}

describe('WarmUp', () => {
  test('the first API request starts it at once, one step per turn of the event loop, each step once', async () => {
    const ran: string[] = [];
    const warm = new WarmUp(['a', 'b', 'c'].map((name) => () => void ran.push(name)), []);
    const first = request('/api/v1/projects');
    warm.onRequest(first.req, first.res, first.next);
    expect(first.next).toHaveBeenCalled();
    expect(ran).toEqual([]);
    await turn();
    expect(ran).toEqual(['a']);
    await turns(5);
    expect(ran).toEqual(['a', 'b', 'c']);
    const second = request('/api/v1/projects');
    warm.onRequest(second.req, second.res, second.next);
    warm.start();
    await turns(5);
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  test('a health check is answered first: warming starts when its response is done', async () => {
    const ran: string[] = [];
    const warm = new WarmUp([() => void ran.push('a')], []);
    const probe = request('/health/ready');
    warm.onRequest(probe.req, probe.res, probe.next);
    await turns(3);
    expect(ran).toEqual([]);
    probe.res.emit('close');
    await turns(3);
    expect(ran).toEqual(['a']);
  });

  test('a step that fails does not stop the others', async () => {
    const ran: string[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const failing = () => {
      throw new Error('broken module');
    };
    const warm = new WarmUp([failing, () => void ran.push('b')], []);
    warm.start();
    await turns(4);
    expect(ran).toEqual(['b']);
    expect(error.mock.calls[0][0]).toContain('broken module');
    error.mockRestore();
  });

  test('the later steps wait for the first answer to a user, and come after the others', async () => {
    const ran: string[] = [];
    const warm = new WarmUp([() => void ran.push('a')], [() => void ran.push('cel')]);
    const first = request('/api/v1/projects/p/roles');
    warm.onRequest(first.req, first.res, first.next);
    await turns(5);
    expect(ran).toEqual(['a']);
    first.res.emit('close');
    await turns(3);
    expect(ran).toEqual(['a', 'cel']);
  });

  test('a start without a user request (a health check, or none) warms everything, the later steps last', async () => {
    const ran: string[] = [];
    const warm = new WarmUp([() => void ran.push('a'), () => void ran.push('b')], [() => void ran.push('cel')]);
    const probe = request('/health/ready');
    warm.onRequest(probe.req, probe.res, probe.next);
    probe.res.emit('close');
    await turns(6);
    expect(ran).toEqual(['a', 'b', 'cel']);
  });

  test('the later steps never run while a user request is in flight, and resume when none is', async () => {
    const ran: string[] = [];
    const warm = new WarmUp([() => void ran.push('a')], [() => void ran.push('cel'), () => void ran.push('more')]);
    const probe = request('/health/ready');
    warm.onRequest(probe.req, probe.res, probe.next);
    probe.res.emit('close');
    // The first user arrives as warming starts, and another while the first is still waiting.
    const first = request('/api/v1/projects/p/roles');
    warm.onRequest(first.req, first.res, first.next);
    const second = request('/api/v1/projects');
    warm.onRequest(second.req, second.res, second.next);
    await turns(6);
    expect(ran).toEqual(['a']);
    first.res.emit('close');
    await turns(6);
    expect(ran).toEqual(['a']);
    second.res.emit('close');
    await turns(6);
    expect(ran).toEqual(['a', 'cel', 'more']);
  });

  test('a user request arriving between two later steps holds the next one until it is answered', async () => {
    const ran: string[] = [];
    const warm = new WarmUp([], [() => void ran.push('cel'), () => void ran.push('more')]);
    warm.start();
    await turns(2);
    expect(ran).toEqual(['cel']);
    const user = request('/api/v1/projects');
    warm.onRequest(user.req, user.res, user.next);
    await turns(4);
    expect(ran).toEqual(['cel']);
    user.res.emit('close');
    await turns(3);
    expect(ran).toEqual(['cel', 'more']);
  });
});
