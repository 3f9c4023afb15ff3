// Swagger UI for this service: the OpenAPI document the service serves, and an Authorize
// dialog for the code flow through the service's sign-in page (as the public client `docs`),
// the OAuth2 password flow and the client credentials flow at /token. No inline script: the page's
// Content-Security-Policy allows only the service's own files.
"use strict";

window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Swagger UI would otherwise send the document to validator.swagger.io.
    validatorUrl: null,
    displayRequestDuration: true,
    // Tokens stay in the page's memory, never in localStorage.
    persistAuthorization: false,
    // The code flow's sign-in window comes back here (the `docs` client's redirect URI),
    // whichever slash form of the page opened it.
    oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect.html",
  });
  window.ui.initOAuth({
    appName: "OAuth2 with scopes",
    // The code flow with PKCE (S256). Its client, `docs`, is typed into its box: a client id
    // set here would go to every flow, and the password flow is the tutorial's, with none.
    usePkceWithAuthorizationCodeGrant: true,
  });
});
