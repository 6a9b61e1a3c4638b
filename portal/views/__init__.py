"""The portal's pages, one blueprint per section: each view asks the services and renders a template."""
