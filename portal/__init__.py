"""The WTGR portal: the intranet pages people open, server-rendered in the NHS design system.

A backend-for-frontend: it owns no data, signs people in with OpenID Connect and calls the
services' APIs server-side with the signed-in user's access token, which never reaches the browser.
"""
