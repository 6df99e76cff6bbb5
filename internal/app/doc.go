// Package app is the composition root: it builds every service eagerly from the
// configuration, mounts their handlers on the public and admin routers, starts
// the listeners and background workers, and shuts everything down in order.
// It is the only package that imports every domain; a construction error
// fails start-up instead of surfacing on the first request.
package app
