package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// The Writer commits through the driver's connection itself (database/sql's Conn.Raw),
// with statements it prepared once: BEGIN IMMEDIATE, COMMIT and ROLLBACK, and the
// Inserts'. database/sql would otherwise convert every argument, wrap each statement per
// transaction, and have SQLite parse "begin immediate" and "commit" again for every batch;
// docs/performance.md measures what that cost. A batch of one statement commits without
// BEGIN and COMMIT: SQLite commits a statement outside a transaction on its own, with the
// same fsync, and a failed statement leaves nothing behind. Such a statement takes the
// write lock only when it starts writing, which is safe because this connection is the
// file's only writer (a DB has one writer's handle, and one process serves a data
// directory): no other write can make its snapshot stale in between.

// driverConn is what the Writer needs of the driver's connection.
type driverConn interface {
	driver.Conn
	driver.ConnPrepareContext
}

// session is the Writer's statements on one driver connection. Only the Writer's goroutine
// uses it, inside Conn.Raw.
type session struct {
	conn                    driverConn // the connection the statements were prepared on
	begin, commit, rollback driver.Stmt
}

// on makes sure the session's statements are prepared on c. When c is not the connection
// they were prepared on (database/sql replaced it), it forgets every statement, the
// Inserts' too, and prepares anew.
func (s *session) on(ctx context.Context, c driverConn, inserts []*Insert) error {
	if s.conn == c {
		return nil
	}
	*s = session{}
	for _, in := range inserts {
		in.forget()
	}
	var stmts [3]driver.Stmt
	for i, q := range [...]string{"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"} {
		st, err := c.PrepareContext(ctx, q)
		if err != nil {
			for _, done := range stmts[:i] {
				_ = done.Close()
			}
			return fmt.Errorf("preparing %s: %w", q, err)
		}
		stmts[i] = st
	}
	*s = session{conn: c, begin: stmts[0], commit: stmts[1], rollback: stmts[2]}
	return nil
}

// write writes the staged rows of inserts, which take statements statements, in one
// transaction on c.
func (s *session) write(ctx context.Context, c driverConn, inserts []*Insert, statements int) error {
	if err := s.on(ctx, c, inserts); err != nil {
		return err
	}
	for _, in := range inserts {
		if err := in.prepare(ctx, c); err != nil {
			return err
		}
	}
	if statements == 1 {
		for _, in := range inserts {
			if in.Rows() > 0 {
				return in.exec(ctx)
			}
		}
	}
	if err := run(ctx, s.begin); err != nil {
		return fmt.Errorf("beginning a commit: %w", err)
	}
	for _, in := range inserts {
		if err := in.exec(ctx); err != nil {
			s.undo(ctx)
			return err
		}
	}
	if err := run(ctx, s.commit); err != nil {
		s.undo(ctx)
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// undo rolls back the open transaction. SQLite may have rolled it back already (after an
// I/O error, for one), which ROLLBACK reports and undo ignores: the commit's own error is
// the one to report.
func (s *session) undo(ctx context.Context) { _ = run(ctx, s.rollback) }

// close closes the session's statements and the Inserts', if c is their connection.
func (s *session) close(c driverConn, inserts []*Insert) error {
	if s.conn != c {
		return nil
	}
	var errs []error
	for _, st := range []driver.Stmt{s.begin, s.commit, s.rollback} {
		errs = append(errs, st.Close())
	}
	for _, in := range inserts {
		errs = append(errs, in.close())
	}
	*s = session{}
	return errors.Join(errs...)
}

// run executes a statement without arguments.
func run(ctx context.Context, st driver.Stmt) error { return execStmt(ctx, st, nil) }

// execStmt executes st with args.
func execStmt(ctx context.Context, st driver.Stmt, args []driver.NamedValue) error {
	x, ok := st.(driver.StmtExecContext)
	if !ok {
		return fmt.Errorf("the driver's statement (%T) cannot execute with a context", st)
	}
	_, err := x.ExecContext(ctx, args)
	return err
}
