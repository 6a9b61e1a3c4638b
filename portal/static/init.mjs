// Progressive enhancement only: every page works without JavaScript. Served from the portal
// (no inline script, so the Content-Security-Policy can forbid it).
import { initAll } from '/assets/nhsuk/nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
