import Bowser from 'bowser';

/** ACC-5: what a person recognises a session by, read coarsely from the browser's user agent. */
export interface UserAgentView {
  /** e.g. "Firefox 133". */
  browser: string | null;
  /** e.g. "Windows 10", "iOS 18.1". */
  os: string | null;
  /** desktop, mobile, tablet, tv… as far as the user agent tells. */
  deviceType: string | null;
}

const major = (version: string | undefined) => version?.split('.')[0];

export function describeUserAgent(userAgent: string | null): UserAgentView {
  if (!userAgent) return { browser: null, os: null, deviceType: null };
  const parsed = Bowser.parse(userAgent);
  const join = (...parts: Array<string | undefined>) => parts.filter(Boolean).join(' ') || null;
  return {
    browser: join(parsed.browser.name, major(parsed.browser.version)),
    os: join(parsed.os.name, parsed.os.versionName ?? parsed.os.version),
    deviceType: parsed.platform.type ?? null,
  };
}
