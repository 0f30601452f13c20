package record

import (
	"errors"
)

// NewObserver returns a Recorder that writes no files: it only redacts
// every authenticated exchange and hands it to o.Observe (required). It
// serves the live inspector when the server is not recording (`serve
// --inspect` without --record). Entries are numbered per tenant from 1.
func NewObserver(o Options) (*Recorder, error) {
	if o.Observe == nil {
		return nil, errors.New("record: NewObserver needs Options.Observe")
	}
	return newRecorder("", o), nil
}
