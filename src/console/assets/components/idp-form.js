// The form plumbing shared by the identity-provider settings (the SAML and OIDC fields and the
// dialogs that hold them): fieldsets, folded sections for rarely changed settings, and a form that
// opens a folded section when the API names a field inside it.
import { form, h } from '../dom.js';

/** A group of fields under a legend. */
export const group = (legend, ...content) => h('fieldset', null, h('legend', null, legend), content);

/** Settings people rarely change, folded away; opened when a problem lands inside. */
export const more = (summary, ...content) =>
  h('details', { class: 'idp-more' }, h('summary', null, summary), content);

/** The control wrapper an API field path lands on (dom.js's rule: the closest prefix). */
function closestField(formEl, name) {
  for (let parts = name.split('.'); parts.length; parts.pop()) {
    const wrapper = formEl.querySelector(`[data-field="${CSS.escape(parts.join('.'))}"]`);
    if (wrapper) return wrapper;
  }
  return null;
}

/** A form whose folded sections open when the API names a field, so the error is seen and focused. */
export function providerForm(options) {
  const formEl = form({
    ...options,
    onSubmit: async (values, el) => {
      try {
        await options.onSubmit(values, el);
      } catch (err) {
        for (const { field: name } of err.fields ?? []) {
          const wrapper = closestField(el, String(name));
          const folded = wrapper?.closest('details');
          if (folded) folded.open = true;
        }
        throw err;
      }
    },
  });
  return formEl;
}
