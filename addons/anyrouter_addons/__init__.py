"""mitmproxy addons of anyrouter: thin glue between mitmproxy's hooks and `anyrouter_core`."""
