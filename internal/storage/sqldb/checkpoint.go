package sqldb

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite in WAL mode copies the log back into the database file at
// checkpoints. Left to itself it checkpoints inside whichever commit takes the
// log past wal_autocheckpoint pages, so a request pays for it now and then
// (and waits for the fsync). A checkpointer runs passive checkpoints from its
// own connection shortly after writes instead; passive checkpoints never
// block readers or the writer. The automatic checkpoint stays on as the
// safety net for a log the checkpointer cannot keep up with.

// checkpointEvery is how often the checkpointer looks for new writes.
const checkpointEvery = 250 * time.Millisecond

type checkpointer struct {
	conn *sql.DB
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func startCheckpointer(db *DB, conn *sql.DB) *checkpointer {
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	conn.SetConnMaxIdleTime(0)
	c := &checkpointer{conn: conn, done: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		var seen uint64
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
			}
			if n := db.writes.Load(); n != seen {
				seen = n
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
				cancel()
			}
		}
	}()
	return c
}

func (c *checkpointer) stop() {
	c.once.Do(func() {
		close(c.done)
		c.wg.Wait()
		_ = c.conn.Close()
	})
}
