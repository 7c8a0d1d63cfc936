// Class activation maps: the computation on hand-made features, the model's map (async and sync
// agree, the logit is the map's spatial mean plus the bias), the colour overlay and the PNG.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import sharp from 'sharp';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {computeCam, jet, overlayCam, upsampleBilinear, writeCamPng} from '../src/cam.js';
import {type ImageClassifier, loadAmoebaNet, loadEfficientNet, loadResNet} from '../src/index.js';
import {ensureDist} from './util/dist.js';

beforeAll(() => ensureDist());

describe('computeCam', () => {
  it('weights the feature map by the class column, ReLU, normalises to [0, 1], upsamples', () => {
    // 2x2 feature map, 3 channels; kernel [3, 2].
    const features = Float32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 4, 1, 1, 1]);
    const kernel = Float32Array.from([1, -1, 2, 0, -1, 0]);
    const cam = computeCam(features, [2, 2, 3], kernel, [3, 2], 0, 2, 2);
    // class 0 column [1, 2, -1]: pixels 1, 4, -4 -> 0, 2.
    expect(Array.from(cam.raw)).toEqual([1, 4, 0, 2]);
    expect(Array.from(cam.heatmap)).toEqual([0.25, 1, 0, 0.5]);
    const big = computeCam(features, [1, 2, 2, 3], kernel, [3, 2], 0, 8, 8);
    expect(big.heatmap.length).toBe(64);
    expect(Math.max(...big.heatmap)).toBeLessThanOrEqual(1);
    expect(Math.min(...big.heatmap)).toBeGreaterThanOrEqual(0);
    expect(big.heatmap[0]).toBeCloseTo(0.25, 6); // corners keep the corner values
    expect(big.heatmap[7]).toBeCloseTo(1, 6);
    expect(() => computeCam(features, [2, 2, 3], kernel, [3, 2], 2, 2, 2)).toThrow(/class index 2 is out of range/);
    expect(() => computeCam(features, [2, 2, 4], kernel, [3, 2], 0, 2, 2)).toThrow(/4 channels/);
    // Upsampling a constant map keeps it constant.
    expect([...new Set(upsampleBilinear(Float32Array.from([0.5, 0.5, 0.5, 0.5]), 2, 2, 5, 3))]).toEqual([0.5]);
  });

  it('jet: blue at 0, red at 1; overlay blends', () => {
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(1)).toEqual([128, 0, 0]);
    expect(jet(0.5)[1]).toBe(255);
    const image = {data: new Uint8Array([0, 0, 0, 200, 200, 200]), width: 2, height: 1};
    const cam = computeCam(Float32Array.from([0, 1]), [1, 2, 1], Float32Array.from([1]), [1, 1], 0, 2, 1);
    const out = overlayCam(image, cam, 0.5);
    expect(Array.from(out.data)).toEqual([0, 0, 64, 164, 100, 100]);
  });
});

describe('model.cam', () => {
  let model: ImageClassifier;
  const image = path.join(__dirname, 'fixtures', 'classify.jpg');
  beforeAll(async () => {
    model = await loadEfficientNet({width: 0.5, depth: 0.5, resolution: 96}, {weights: 'random', seed: 3, numClasses: 20, backend: 'native-cpu'});
  });
  afterAll(() => model?.dispose());

  it('is for the top class by default; async equals sync; another class on request', async () => {
    const [top] = await model.classify(image, {topK: 1});
    const cam = await model.cam(image);
    expect(cam.classIndex).toBe(top.index);
    expect(cam.label).toBe(top.label);
    expect(cam.probability).toBeCloseTo(top.probability, 6);
    expect([cam.width, cam.height, cam.heatmap.length]).toEqual([96, 96, 96 * 96]);
    expect([cam.rawWidth, cam.rawHeight]).toEqual([3, 3]);
    expect(Math.max(...cam.heatmap)).toBeLessThanOrEqual(1);
    expect(Math.min(...cam.heatmap)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...cam.raw)).toBeGreaterThan(0);
    expect([cam.image.width, cam.image.height]).toEqual([96, 96]);

    const batch = await model.preprocess(image);
    const sync = model.camSync(batch);
    expect(sync.classIndex).toBe(cam.classIndex);
    for (let i = 0; i < cam.raw.length; i++) expect(Math.abs(sync.raw[i] - cam.raw[i])).toBeLessThan(1e-4);

    // Another class, chosen explicitly.
    const other = await model.cam(image, (cam.classIndex + 1) % 20);
    expect(other.classIndex).toBe((cam.classIndex + 1) % 20);
    await expect(model.cam(image, 20)).rejects.toThrow(/out of range/);
  });

  it('writeCamPng writes a res x res PNG of the blended map', async () => {
    const cam = await model.cam(image);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'effnet-cam-')), 'cam.png');
    await writeCamPng(file, cam.image, cam);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 96, 96, 3]);
    const {data} = await sharp(file).raw().toBuffer({resolveWithObject: true});
    const expected = overlayCam(cam.image, cam);
    let same = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === expected.data[i]) same++;
    expect(same).toBe(data.length);
  });
});

describe('other families', () => {
  const image = path.join(__dirname, 'fixtures', 'classify.jpg');

  it('ResNet (tiny torchvision fixture): the map of layer 4 (2 x 2) over a 64 x 64 input', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'resnet_tiny.json'), 'utf8'));
    const model = await loadResNet(50, {
      weights: path.join(__dirname, 'fixtures', 'resnet_tiny.safetensors'), blocks: cfg.blocks, stemChannels: cfg.stemChannels,
      widths: cfg.widths, numClasses: cfg.numClasses, resolution: 64, backend: 'native-cpu',
    });
    try {
      const cam = await model.cam(image);
      expect([cam.width, cam.height, cam.rawWidth, cam.rawHeight]).toEqual([64, 64, 2, 2]);
      const [top] = await model.classify(image, {topK: 1});
      expect(cam.classIndex).toBe(top.index);
    } finally {
      model.dispose();
    }
  });

  it('AmoebaNet-B (small, random weights): classify and cam, 1001 classes with background first', async () => {
    const model = await loadAmoebaNet({
      weights: 'random', seed: 2, numCells: 3, numFilters: 8, stemFilters: 8, resolution: 64, backend: 'native-cpu',
    });
    try {
      expect(model.labels[0]).toBe('background');
      expect(model.labels[1]).toBe('tench');
      const top = await model.classify(image, {topK: 3});
      expect(top).toHaveLength(3);
      const cam = await model.cam(image);
      expect(cam.classIndex).toBe(top[0].index);
      expect([cam.width, cam.height]).toEqual([64, 64]);
    } finally {
      model.dispose();
    }
  });
});
