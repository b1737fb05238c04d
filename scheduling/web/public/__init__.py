"""The visitor's booking flow: server-rendered, cookie-free, working without JavaScript."""
