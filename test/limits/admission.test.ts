import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../../src/app/config.ts';
import { Admission, LagProbe } from '../../src/limits/admission.ts';

const settings = { maxHandshakes: 3, maxLagMs: 0, retryMs: 1000 };

describe('Admission', () => {
  it('admits sockets until maxHandshakes are in flight, then sheds with 1013, a retry hint and cause handshakes', () => {
    const admission = new Admission(settings);
    expect([admission.admit(), admission.admit(), admission.admit()]).toEqual([undefined, undefined, undefined]);
    expect(admission.admit()).toEqual({ code: 1013, reason: 'Try again later: retry in 1000 ms', cause: 'handshakes' });
    expect({ inFlight: admission.inFlight, shed: admission.shed }).toEqual({ inFlight: 3, shed: 1 });
  });

  it('admits again once a handshake settles', () => {
    const admission = new Admission(settings);
    for (let i = 0; i < 3; i++) admission.admit();
    expect(admission.admit()?.code).toBe(1013);
    admission.settle();
    expect(admission.admit()).toBeUndefined();
    expect(admission.inFlight).toBe(3);
  });

  it('never counts below zero when settle is called more often than admit', () => {
    const admission = new Admission(settings);
    admission.settle();
    admission.settle();
    expect(admission.inFlight).toBe(0);
    for (let i = 0; i < 3; i++) expect(admission.admit()).toBeUndefined();
    expect(admission.admit()?.code).toBe(1013);
  });

  it('sheds while the event loop lags past maxLagMs (cause event_loop_lag), with a hint that grows with the lag up to ten times retryMs', () => {
    let lag = 0;
    const admission = new Admission({ maxHandshakes: 0, maxLagMs: 200, retryMs: 500 }, () => lag);
    expect(admission.admit()).toBeUndefined();
    lag = 199;
    expect(admission.admit()).toBeUndefined();
    lag = 200;
    expect(admission.admit()).toEqual({ code: 1013, reason: 'Try again later: retry in 500 ms', cause: 'event_loop_lag' });
    lag = 600;
    expect(admission.admit()).toEqual({ code: 1013, reason: 'Try again later: retry in 1500 ms', cause: 'event_loop_lag' });
    lag = 60_000;
    expect(admission.admit()).toEqual({ code: 1013, reason: 'Try again later: retry in 5000 ms', cause: 'event_loop_lag' });
  });

  it('scales the hint with how far past the handshake bound the node is', () => {
    const admission = new Admission({ maxHandshakes: 2, maxLagMs: 0, retryMs: 1000 });
    admission.admit();
    admission.admit();
    expect(admission.admit()?.reason).toBe('Try again later: retry in 1000 ms');
  });

  it('with both bounds at 0 admits everything', () => {
    const admission = new Admission({ maxHandshakes: 0, maxLagMs: 0, retryMs: 1000 }, () => 1e9);
    for (let i = 0; i < 10_000; i++) expect(admission.admit()).toBeUndefined();
    expect(admission.shed).toBe(0);
  });
});

describe('LagProbe', () => {
  afterEach(() => void vi.useRealTimers());

  it('reads 0 while its timer fires on time, and how late it is once the loop stalls', () => {
    vi.useFakeTimers();
    let now = 0;
    const probe = new LagProbe(50, () => now);
    for (let i = 0; i < 4; i++) {
      now += 50;
      vi.advanceTimersByTime(50);
    }
    expect(probe.lag()).toBe(0);
    // The loop is busy for 300 ms: the timer cannot fire, but the pending lateness already shows.
    now += 300;
    expect(probe.lag()).toBe(250);
    vi.advanceTimersByTime(50);
    expect(probe.lag()).toBe(250);
    // Back on time: the next firing measures no lag.
    now += 50;
    vi.advanceTimersByTime(50);
    expect(probe.lag()).toBe(0);
    probe.stop();
  });
});

describe('admission settings', () => {
  it('default to at most 1000 handshakes in flight, no lag bound, a 1000 ms hint', () => {
    expect(parseConfig({}).admission).toEqual({ maxHandshakes: 1000, maxLagMs: 0, retryMs: 1000 });
  });

  it('read ADMISSION_MAX_HANDSHAKES, ADMISSION_MAX_LAG_MS and ADMISSION_RETRY_MS', () => {
    const env = { ADMISSION_MAX_HANDSHAKES: '0', ADMISSION_MAX_LAG_MS: '150', ADMISSION_RETRY_MS: '250' };
    expect(parseConfig(env).admission).toEqual({ maxHandshakes: 0, maxLagMs: 150, retryMs: 250 });
  });

  it('refuse a value out of range, naming the variable, what is allowed and the value', () => {
    expect(() => parseConfig({ ADMISSION_RETRY_MS: '5' })).toThrow(
      new ConfigError('ADMISSION_RETRY_MS', "Invalid ADMISSION_RETRY_MS: expected an integer from 10 to 600000: current value '5'"),
    );
    expect(() => parseConfig({ ADMISSION_MAX_LAG_MS: 'soon' })).toThrow(
      "Invalid ADMISSION_MAX_LAG_MS: expected an integer from 0 to 60000: current value 'soon'",
    );
  });
});
