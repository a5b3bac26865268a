//go:build cgo

package capture

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

struct unicam_err {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

static void unicam_error_exit(j_common_ptr c) {
	struct unicam_err *e = (struct unicam_err *)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jump, 1);
}

// unicam_encode compresses planar YCbCr (chroma hs x vs subsampled) into
// a buffer libjpeg allocates; the caller frees *out. Rows past the bottom
// repeat the last one, as libjpeg's raw-data interface wants whole MCUs.
static int unicam_encode(unsigned char *y, int ystride, unsigned char *cb, unsigned char *cr, int cstride,
		int w, int h, int hs, int vs, int quality, unsigned char **out, unsigned long *outlen, char *msg) {
	struct jpeg_compress_struct c;
	struct unicam_err e;
	JSAMPROW yrows[16], cbrows[16], crrows[16];
	JSAMPARRAY planes[3] = {yrows, cbrows, crrows};
	int mcu = 8 * vs, row, i;

	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = unicam_error_exit;
	if (setjmp(e.jump)) {
		jpeg_destroy_compress(&c);
		strncpy(msg, e.msg, JMSG_LENGTH_MAX - 1);
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, out, outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_YCbCr;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	c.raw_data_in = TRUE;
	c.comp_info[0].h_samp_factor = hs;
	c.comp_info[0].v_samp_factor = vs;
	c.comp_info[1].h_samp_factor = c.comp_info[1].v_samp_factor = 1;
	c.comp_info[2].h_samp_factor = c.comp_info[2].v_samp_factor = 1;
	jpeg_start_compress(&c, TRUE);
	for (row = 0; row < h; row += mcu) {
		for (i = 0; i < mcu; i++) {
			int r = row + i < h ? row + i : h - 1;
			yrows[i] = y + (size_t)r * ystride;
		}
		for (i = 0; i < 8; i++) {
			int r = (row / vs) + i;
			int last = (h + vs - 1) / vs - 1;
			if (r > last) r = last;
			cbrows[i] = cb + (size_t)r * cstride;
			crrows[i] = cr + (size_t)r * cstride;
		}
		jpeg_write_raw_data(&c, planes, mcu);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// EncoderName says which JPEG encoder this build uses.
const EncoderName = "libjpeg-turbo"

// encodeYCbCr compresses img with libjpeg-turbo straight from its planes
// (no colour conversion, the chroma subsampling kept), appending to dst.
func encodeYCbCr(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	hs, vs, err := samplingFactors(img.SubsampleRatio)
	if err != nil {
		return nil, err
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 || len(img.Y) == 0 {
		return nil, fmt.Errorf("encode JPEG: empty %dx%d picture", w, h)
	}
	img = padded(img, hs, vs)
	var out *C.uchar
	var outLen C.ulong
	var msg [C.JMSG_LENGTH_MAX]C.char
	rc := C.unicam_encode((*C.uchar)(unsafe.Pointer(&img.Y[0])), C.int(img.YStride),
		(*C.uchar)(unsafe.Pointer(&img.Cb[0])), (*C.uchar)(unsafe.Pointer(&img.Cr[0])), C.int(img.CStride),
		C.int(w), C.int(h), C.int(hs), C.int(vs), C.int(quality), &out, &outLen, &msg[0])
	if out != nil {
		defer C.free(unsafe.Pointer(out))
	}
	if rc != 0 {
		return nil, fmt.Errorf("encode JPEG: libjpeg: %s", C.GoString(&msg[0]))
	}
	return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(out)), int(outLen))...), nil
}
