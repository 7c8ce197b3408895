//go:build !benchnostore

package store

// skipCommits is false in every real build: the Writer writes each batch. A build with the
// benchnostore tag skips them (commits_skipped.go).
const skipCommits = false
