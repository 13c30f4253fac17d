// Clerk's sign-in form (clerk mode). Clerk's script comes from the deployment's Clerk Frontend
// API, the one origin besides ours that the CSP allows; once signed in, Clerk sets the
// `__session` cookie that the server verifies like a bearer token.
"use strict";

(() => {
  const mount = document.getElementById("clerk-sign-in");
  if (!mount) return;
  const next = mount.dataset.next || "/app";
  const script = document.createElement("script");
  script.src = mount.dataset.clerkScript;
  script.async = true;
  script.crossOrigin = "anonymous";
  script.setAttribute("data-clerk-publishable-key", mount.dataset.publishableKey || "");
  script.addEventListener("load", async () => {
    const clerk = window.Clerk;
    await clerk.load();
    if (clerk.user) {
      window.location.assign(next);
      return;
    }
    clerk.mountSignIn(mount, { forceRedirectUrl: next, signUpForceRedirectUrl: next });
    clerk.addListener(({ session }) => {
      if (session) window.location.assign(next);
    });
  });
  document.head.appendChild(script);
})();
