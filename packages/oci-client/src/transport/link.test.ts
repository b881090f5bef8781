import { nextLink } from './link';

describe('nextLink', () => {
  const page = 'http://127.0.0.1:5000/v2/_catalog?n=2';
  it('resolves a relative next link against the page', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', page)).toBe(
      'http://127.0.0.1:5000/v2/_catalog?last=b&n=2',
    );
  });
  it('keeps an absolute link and finds next among several, commas in URLs included', () => {
    expect(
      nextLink(
        '<https://r.example/v2/a/tags/list?first=x>; rel="prev", <https://r.example/v2/a/tags/list?last=a,b&n=2>; rel=next',
        page,
      ),
    ).toBe('https://r.example/v2/a/tags/list?last=a,b&n=2');
  });
  it('gives nothing without a next relation', () => {
    expect(nextLink(null, page)).toBeUndefined();
    expect(nextLink('</x>; rel="prev"', page)).toBeUndefined();
  });
});
