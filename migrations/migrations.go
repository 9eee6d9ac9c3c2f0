// Package migrations will hold the ordered Postgres SQL files of team mode, embedded in the
// binary. It is empty until team mode lands; the embedded store versions its own schema.
package migrations
