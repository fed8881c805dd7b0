import { describe, expect, it, vi } from 'vitest';
import { SKIP_WAITING } from './policy';
import { AppUpdates, type ContainerLike, type RegistrationLike, type UpdateState } from './updates';

class FakeWorker extends EventTarget {
  state = 'installing';
  messages: unknown[] = [];
  postMessage(message: unknown): void {
    this.messages.push(message);
  }
  to(state: string): void {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

class FakeRegistration extends EventTarget implements RegistrationLike {
  installing: FakeWorker | null = null;
  waiting: FakeWorker | null = null;
  updates = 0;
  update(): Promise<unknown> {
    this.updates++;
    return Promise.reject(new TypeError('Failed to fetch'));
  }
  /** A new worker script was found and starts installing. */
  found(): FakeWorker {
    const w = new FakeWorker();
    this.installing = w;
    this.dispatchEvent(new Event('updatefound'));
    return w;
  }
}

class FakeContainer extends EventTarget implements ContainerLike {
  controller: unknown;
  registered: [string, RegistrationOptions][] = [];
  constructor(
    readonly registration: FakeRegistration,
    controller: unknown = null,
  ) {
    super();
    this.controller = controller;
  }
  register(url: string, options: RegistrationOptions): Promise<RegistrationLike> {
    this.registered.push([url, options]);
    return Promise.resolve(this.registration);
  }
  controllerChanged(worker: unknown): void {
    this.controller = worker;
    this.dispatchEvent(new Event('controllerchange'));
  }
}

function setup(container: FakeContainer | undefined) {
  const states: UpdateState[] = [];
  const reload = vi.fn();
  const updates = new AppUpdates({
    container,
    scriptUrl: '/service-worker.js',
    type: 'classic',
    reload,
    onChange: (s) => states.push(s),
  });
  return { updates, states, reload };
}

describe('AppUpdates', () => {
  it('does nothing where there are no service workers (Tor Browser)', async () => {
    const { updates, states } = setup(undefined);
    expect(await updates.start()).toBe(false);
    updates.apply();
    await updates.check();
    expect(states).toEqual([]);
    expect(updates.state).toBe('current');
  });

  it('takes over quietly on the first install', async () => {
    const reg = new FakeRegistration();
    const c = new FakeContainer(reg);
    const { updates, states, reload } = setup(c);
    expect(await updates.start()).toBe(true);
    expect(c.registered).toEqual([['/service-worker.js', { type: 'classic', updateViaCache: 'none' }]]);
    const first = reg.found();
    first.to('installed');
    first.to('activating');
    c.controllerChanged(first);
    first.to('activated');
    expect(states).toEqual([]);
    expect(reload).not.toHaveBeenCalled();
  });

  it('offers a new version and switches only when the user accepts', async () => {
    const reg = new FakeRegistration();
    const c = new FakeContainer(reg, {});
    const { updates, states, reload } = setup(c);
    await updates.start();
    const next = reg.found();
    expect(updates.state).toBe('current');
    next.to('installed');
    expect(states).toEqual(['waiting']);
    expect(next.messages).toEqual([]);
    expect(reload).not.toHaveBeenCalled();

    updates.apply();
    expect(next.messages).toEqual([SKIP_WAITING]);
    expect(states).toEqual(['waiting', 'applying']);
    expect(reload).not.toHaveBeenCalled();
    c.controllerChanged(next);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('offers a version that was already waiting when the page loaded', async () => {
    const reg = new FakeRegistration();
    reg.waiting = new FakeWorker();
    reg.waiting.state = 'installed';
    const { updates, states } = setup(new FakeContainer(reg, {}));
    await updates.start();
    expect(states).toEqual(['waiting']);
    updates.apply();
    expect(reg.waiting.messages).toEqual([SKIP_WAITING]);
  });

  it('withdraws the offer when the waiting worker goes away', async () => {
    const reg = new FakeRegistration();
    const { updates, states } = setup(new FakeContainer(reg, {}));
    await updates.start();
    const next = reg.found();
    next.to('installed');
    next.to('redundant');
    expect(states).toEqual(['waiting', 'current']);
    updates.apply();
    expect(next.messages).toEqual([]);
  });

  it('offers a reload when another tab switched versions', async () => {
    const reg = new FakeRegistration();
    const c = new FakeContainer(reg, {});
    const { updates, states, reload } = setup(c);
    await updates.start();
    reg.found().to('installed');
    c.controllerChanged({});
    expect(states).toEqual(['waiting', 'stale']);
    expect(reload).not.toHaveBeenCalled();
    updates.apply();
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('treats a failed update check as no news, and stops listening on stop', async () => {
    const reg = new FakeRegistration();
    const { updates, states } = setup(new FakeContainer(reg, {}));
    await updates.start();
    await updates.check();
    expect(reg.updates).toBe(1);
    updates.stop();
    reg.found().to('installed');
    expect(states).toEqual([]);
  });
});
