"""JSON API v1: public slots and booking now; the authenticated integration API later."""
