package record

import (
	"errors"
	"time"

	"github.com/scimharness/scimharness/wire"
)

// NewObserver returns a Recorder that writes no files: it only redacts
// every exchange and hands it to o.Observe (required). It serves the live
// inspector when the server is not recording (`serve --inspect` without
// --record). Entries are numbered per tenant from 1.
func NewObserver(o Options) (*Recorder, error) {
	if o.Observe == nil {
		return nil, errors.New("record: NewObserver needs Options.Observe")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	return &Recorder{
		red:     wire.NewRedactor(o.Secrets...),
		max:     o.MaxBody,
		now:     o.Now,
		files:   map[string]*file{},
		observe: o.Observe,
		seqs:    map[string]int{},
	}, nil
}
