// The HTML library: escaping, CSRF, cookies, security headers, the page shell and the templates.
// Page routes (src/pages, src/console), the interaction routes (src/oidc) and federation use it.
export { browserIdCookie, ensureBrowserId, readBrowserId, readCookie } from './browser-id.ts';
export { CSRF_FIELD, type Csrf, type CsrfCheck, createCsrf, interactionPurpose } from './csrf.ts';
export { htmlErrorHandler } from './error-pages.ts';
export {
  clearHandoff,
  type HandoffCookie,
  handoffCookie,
  readHandoff,
  setHandoff,
} from './handoff-cookie.ts';
export { escapeHtml, html, raw, SafeHtml, safeUrl } from './html.ts';
export { type Page, type PageInput, renderPage, sendPage } from './page.ts';
export { baseSecurityHeaders, contentSecurityPolicy, pageHeaders } from './security-headers.ts';
export { type ConsentPageInput, consentPage, describeScope } from './templates/consent.ts';
export {
  type DeviceCodePageInput,
  type DeviceCodeProblem,
  type DeviceConfirmPageInput,
  type DeviceDonePageInput,
  type DeviceForm,
  deviceCodePage,
  deviceConfirmPage,
  deviceDonePage,
} from './templates/device.ts';
export { type ErrorPageInput, errorPage, type PageLink } from './templates/error.ts';
export {
  INVALID_CREDENTIALS_MESSAGE,
  type LoginPageInput,
  type LoginProblem,
  loginPage,
  tooManyAttemptsMessage,
} from './templates/login.ts';
export {
  type LogoutDonePageInput,
  type LogoutPageInput,
  logoutDonePage,
  logoutPage,
} from './templates/logout.ts';
export { type MessagePageInput, messagePage } from './templates/message.ts';
export {
  type ForgotPageInput,
  forgotPage,
  forgotSentPage,
  type ResetPageInput,
  resetDonePage,
  resetPage,
} from './templates/password-reset.ts';
export { type SignupPageInput, signupPage } from './templates/signup.ts';
