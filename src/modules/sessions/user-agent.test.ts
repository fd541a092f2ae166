import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeUserAgent } from './user-agent.ts';

test('ACC-5 a session is described by its browser, operating system and kind of device', () => {
  assert.deepEqual(
    describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'),
    { browser: 'Firefox 133', os: 'Linux', deviceType: 'desktop' },
  );
  const iphone = describeUserAgent(
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  );
  assert.equal(iphone.browser, 'Safari 18');
  assert.match(iphone.os ?? '', /^iOS 18/);
  assert.equal(iphone.deviceType, 'mobile');
  assert.deepEqual(describeUserAgent(null), { browser: null, os: null, deviceType: null });
  // Anything else is described as far as it goes, never refused.
  const odd = describeUserAgent('curl/8.5.0');
  assert.equal(typeof odd.browser === 'string' || odd.browser === null, true);
});
