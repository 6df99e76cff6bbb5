// Package ui serves Warden's own pages: sign-in, sign-up, account
// settings, recovery, verification, errors, sign-out, and the OAuth2
// login, consent, logout and device pages, so a fresh server is usable in
// a browser with no other app.
//
// The pages are rendered on the server from the same ui containers the
// self-service API returns (any method added later appears without new
// page code), work without JavaScript, and are styled by one stylesheet
// (no inline styles or scripts, so the Content-Security-Policy needs no
// 'unsafe-inline'). For OAuth2 the pages act as Hydra's login and consent
// app, in-process: they call the admin API's handler directly.
package ui
