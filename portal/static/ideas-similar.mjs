// Similar ideas while typing: after a pause in the title or the description, ask the portal for the
// ideas, projects and stories like the draft and show them above the rest of the form. Without this
// script the form's "Check for similar ideas" button does the same on the server.
const form = document.querySelector('[data-similar-form]');
const results = form && form.querySelector('[data-similar-results]');
const PAUSE_MS = 500;

if (form && results) {
  const title = form.querySelector('[name="title"]');
  const description = form.querySelector('[name="description"]');
  let timer = null;
  let asked = '';

  const ask = async () => {
    const words = title.value.trim();
    const query = new URLSearchParams({ title: words, description: description.value.slice(0, 2000) });
    if (words.length < 3 || query.toString() === asked) return;
    asked = query.toString();
    try {
      const answer = await fetch(`${form.dataset.similarUrl}?${query}`, { headers: { Accept: 'text/html' } });
      if (answer.ok && asked === query.toString()) results.innerHTML = await answer.text();
    } catch {
      // the button still checks on the server
    }
  };
  for (const field of [title, description]) {
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(ask, PAUSE_MS);
    });
  }
}
