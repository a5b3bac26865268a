package capture

import "errors"

// ErrBadSetting marks a source setting outside its accepted range.
var ErrBadSetting = errors.New("bad capture setting")
