import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestBrowser } from '../helpers/browser.ts';
import {
  answerConfirmation,
  approveInBrowser,
  type DeviceAuthorization,
  deviceFlowServer,
  openConfirmation,
  pollToken,
  startDeviceFlow,
} from '../helpers/device-flow.ts';
import type { OidcTestServer } from '../helpers/oidc-server.ts';

// The pace of the command line's polling (RFC 8628 §3.2, §3.5): the interval the device is told, and
// slow_down for a device that polls a pending code sooner. The flow itself is in device-flow.test.ts.

describe('device flow for canopy-cli', () => {
  const server = deviceFlowServer({ companyName: 'Acme Device Co' });
  let s: OidcTestServer;
  let domain: string;
  before(() => ({ s, domain } = server));

  test('RFC 8628 §3.2 the device authorization response tells the device to poll every 5 seconds', async () => {
    const device = await startDeviceFlow(s, domain);
    assert.equal(device.interval, 5);
  });

  test('RFC 8628 §3.5 a pending code polled within its interval answers slow_down, and its interval grows by 5 seconds for good', async () => {
    const a = await startDeviceFlow(s, domain);
    const b = await startDeviceFlow(s, domain);
    const poll = async (device: DeviceAuthorization, expected: string, why: string) => {
      const answer = await pollToken(s, device.device_code);
      assert.equal(answer.status, 400, why);
      assert.equal(answer.body.error, expected, why);
      return answer;
    };
    await poll(a, 'authorization_pending', 'the first poll of a');
    await poll(b, 'authorization_pending', 'the first poll of b');
    const early = await poll(a, 'slow_down', 'a polled again at once');
    assert.match(String(early.body.error_description), /every 10 seconds/);
    await poll(b, 'slow_down', 'b polled again at once');
    assert.equal(early.body.access_token, undefined);

    s.clock.advance(6_000);
    await poll(b, 'slow_down', 'b after 6 s: its interval is 10 s now');
    s.clock.advance(4_000);
    await poll(a, 'authorization_pending', 'a after the grown interval of 10 s');
    s.clock.advance(5_000);
    await poll(a, 'slow_down', 'a after 5 s: the interval stays grown');

    const c = await startDeviceFlow(s, domain);
    await poll(c, 'authorization_pending', 'another code keeps its own interval');
    s.clock.advance(5_000);
    await poll(c, 'authorization_pending', 'c after 5 s');

    // Only pending answers are paced: once approved, the next poll gets the tokens at once.
    await approveInBrowser(s, a);
    const tokens = await pollToken(s, a.device_code);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    // A code the person cancelled says so at once too (b's interval has not passed).
    const browser = new TestBrowser();
    await answerConfirmation(browser, s, await openConfirmation(browser, s, b), 'abort');
    assert.equal((await pollToken(s, b.device_code)).body.error, 'access_denied');
  });
});
