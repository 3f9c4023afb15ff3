// Swagger UI for this service: the OpenAPI document the service serves, and an Authorize
// dialog for the OAuth2 password flow at /token. No inline script: the page's
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
  });
  window.ui.initOAuth({
    appName: "OAuth2 with scopes",
  });
});
