// A filter form asks the API itself before it navigates, so invalid filters are answered beside
// their fields; the view that the navigation renders then takes that answer instead of asking again.
export function createPrefetch(maxAgeMs = 10_000) {
  let kept;
  return {
    keep(path, answer) {
      kept = { path, answer, at: Date.now() };
    },
    /** The answer kept for `path` if it is fresh; either way, nothing is kept afterwards. */
    take(path) {
      const answer = kept?.path === path && Date.now() - kept.at < maxAgeMs ? kept.answer : undefined;
      kept = undefined;
      return answer;
    },
  };
}
